"""The phrases funding news uses, as regular expressions: what reports a raise, what
reports something else, stages, valuations, and where names of investors and of the
company stand. `extraction` applies them."""

from __future__ import annotations

import re

# --- What the story is about -----------------------------------------------------------

RAISE = re.compile(
    r"\b(?:rais(?:es|ed|ing|e)|secur(?:es|ed|ing)|clos(?:es|ed) (?:an? |its |the )?(?:\S+ ){0,4}"
    r"(?:round|funding|financing)|lands?|landed|bags?|bagged|nets?|netted|snags?|snagged|"
    r"picks? up|picked up|gets?|got|receives?|received|completes?|completed|"
    r"nabs?|nabbed|grabs?|hauls? in|scores?|pockets?|rakes? in|draws?|attracts?|"
    r"announc(?:es|ed) (?:an? |its |the )?(?:\S+ ){0,4}"
    r"(?:round|funding|financing|investment|fundraising|fundraise|raise)|"
    r"funding round|financing round|investment round|round of funding|round of financing|"
    r"fundraising round|capital injection|"
    r"in funding|in financing|in fresh|in new funding|investment (?:in|into)|"
    r"(?:funds|money|capital|cash) into|"
    r"leads? (?:an? |the )?(?:\S+ ){0,4}(?:round|investment|funding)|"
    r"co-leads?|invests?|invested|backs|backed)\b",
    re.IGNORECASE,
)
ROUND_WORDS = re.compile(
    r"\b(?:round|funding|financing|series [a-j]|seed|investment|raise[sd]?|valu(?:ation|ed|ing))\b",
    re.IGNORECASE,
)
# A story about something else; each checked on the headline and first sentences.
# A fund raising money for itself, in the headline or the opening sentences.
FUND = [
    r"\b(?:clos(?:es|ed|ing)|launch(?:es|ed)|rais(?:es|ed)|announc(?:es|ed)|unveils?)\b[^.]{0,80}"
    r"\b(?:fund(?: [IVX]+)?|vehicle)\b(?! round)(?!ing)",
    r"\bnew (?:venture |vc |ai )?fund\b",
    r"\b(?:first|final|second) close\b",
    r"\b(?:venture capital|VC|investment|private equity|venture) (?:firm|fund)\b[^.]{0,200}?"
    r"\b(?:has |have )?(?:raised|closed|secured|rais(?:es|ing)|clos(?:es|ing))\b",
    r"\brais\w* [^.]{0,40}? to (?:invest in|back|finance|fund) (?:[\w-]+ ){0,4}"
    r"(?:startups|start-ups|companies|founders)\b",
    r"\b(?:warehouse|credit|debt|loan|lending|revolving) (?:facility|line)\b",
    r"\bfacility from\b",
]
NOT_A_ROUND_OPENING = [
    re.compile(p, re.IGNORECASE)
    for p in (
        *FUND,
        r"\b(?:agreed to (?:acquire|buy)|has acquired|acquires|to acquire|"
        r"ha(?:s|ve) taken[- ]over|snaps? up)\b",
        r"\b(?:lay(?:s|ing)? off|laid off|layoffs?)\b",
        r"\b(?:initial public offering|IPO prospectus|draft red herring prospectus|"
        r"registration statement)\b",
        r"\breceive a grant\b",
    )
]
NOT_A_ROUND = [
    re.compile(p, re.IGNORECASE)
    for p in (
        *FUND,
        r"\b(?:acquires?|acquired|acquisition|to buy|buys|bought|takeover|merger|to acquire|"
        r"snaps? up)\b",
        r"\b(?:lay(?:s|ing)? off|laid off|layoffs?|job cuts?|"
        r"cuts? (?:\S+ )?(?:jobs|staff|workforce))\b",
        r"\b(?:IPO|initial public offering|files? (?:confidentially )?(?:to|for) "
        r"(?:go public|an IPO|listing)|goes public|prospectus|listing on)\b",
        r"\b(?:grant|grants|awarded)\b",
        r"\b(?:debt (?:facility|financing)|credit (?:facility|line)|loan|venture debt|term loan|"
        r"bonds?)\b",
    )
]


# --- Facts --------------------------------------------------------------------------

STAGES = [
    (re.compile(r"\bpre[- ]?seed\b", re.I), "pre_seed"),
    (re.compile(r"\bpre[- ](?:series[- ])?A\b", re.I), "seed"),
    (re.compile(r"\bseed\b", re.I), "seed"),
    (re.compile(r"\bangel (?:round|funding|investment)\b", re.I), "angel"),
    (re.compile(r"\bseries[- ]([A-J])\+?(?![\w])", re.I), "series_{}"),
    (re.compile(r"\b(?:round|Round) ([A-J])\+?(?![\w])"), "series_{}"),
    (
        re.compile(r"\b([A-J])(?:\+|[- ]plus)?[- ](?:series |financing |funding )?round\b"),
        "series_{}",
    ),
    (re.compile(r"\b([A-J]) series\b"), "series_{}"),
    (re.compile(r"\bconvertible notes?\b", re.I), "convertible_note"),
    (re.compile(r"\bstrategic (?:round|investment|funding)\b", re.I), "corporate_round"),
]

VALUATION_AFTER = re.compile(
    r"(?P<kind>pre-money |post-money )?valu(?:ation|ing|ed|es)(?: [\w'\u2019-]+){0,6}? "
    r"(?:of|at|to|near|around|about|over|more than|above)?\s*"
    r"(?:roughly |about |around |nearly |over |more than |some |approximately |close to |"
    r"almost |at least )?$",
    re.IGNORECASE,
)
WORTH = re.compile(
    r"\b(?:(?:is|are) (?:now )?|now )worth "
    r"(?:about |around |some |roughly |nearly |over |more than )?$",
    re.IGNORECASE,
)
VALUATION_BEFORE = re.compile(
    r"^\s*(?P<kind>pre-money |post-money )?valuation\b",
    re.IGNORECASE,
)
NOT_THE_AMOUNT = re.compile(
    r"\b(?:revenue|sales|ARR|run rate|market|fund|profit|loss|bought|spent|total(?:ling)? |brings? "
    r"(?:its |the )?total|to date|previous(?:ly)?|last year|earlier|prior|cap table)\b"
    r"\W*(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
TEXT_DATE = re.compile(rf"\bon (?:\w+day, )?({MONTHS}) (\d{{1,2}}),? (\d{{4}})\b")
UNDISCLOSED = re.compile(
    r"\b(?:undisclosed|unspecified|did not disclose|didn't disclose|not disclosed|"
    r"declined to (?:disclose|say|reveal))\b",
    re.IGNORECASE,
)

# Investor phrases: a list of names follows, or (for "X led") precedes.
NAME_RUN = r"((?:[A-Z0-9][\w.&'\u2019+-]*(?:\s(?:of|and|&|de|la|du|der|von|the|for))?\s?){1,7})"
LEADS_AFTER = re.compile(
    r"\b(?:co-led by|led by|lead by|spearheaded by|headed by|with (?:\w+ )?leads? (?:from|by)|"
    r"lead investors? (?:in the round )?(?:was|were|is|are))\s+"
    r"(?P<names>.+?)(?=(?:,? with (?:participation|additional|support|the participation|existing)|"
    r",? alongside|,? as well as|,? joined by|"
    r",? and (?:existing|new|other|previous|returning|several)|"
    r",? which|,? who|,? values|,? valuing|,\s(?!including\b)[a-z]+ing\b|,? at an?|,? according|"
    r",\s(?:the|a|an)\s|\u2014|;|\.\s(?![a-z])|\.$|$))",
)
LEADS_BEFORE = re.compile(
    NAME_RUN + r"(?:\(\w+\)\s)?(?<![-\w])"
    r"(?:led|co-led|co-leads?|has taken the lead|took the lead|is leading|leads)\b"
)
PARTICIPANTS_AFTER = re.compile(
    r"(?<!previous )(?<!earlier )(?<!prior )"
    r"\b(?:with (?:the )?participat(?:ion|ing) (?:from|of|by)|participation from|alongside|"
    r"joined by|backed by|"
    r"(?:[Oo]ther )?(?:[Pp]articipants|[Ii]nvestors) (?:in [^.]{0,40}? )?"
    r"(?:included|include|including)|(?:round|funding) (?:included|includes)|"
    r"(?:cash|money|funds|capital|investment|backing) from|"
    r"existing (?:backers?|investors?|shareholders?)(?: such as| including| like)?|"
    r"other investors (?:include|including)|"
    r"(?:investors|backers|institutions|funds|firms|juggernauts|giants|companies|names|"
    r"heavyweights|players)(?:,)? "
    r"(?:including|include|such as|like)(?: the likes of)?|"
    r"also participated[^.]*?from|as well as|backers include|with support from|"
    r"along with|and (?:existing|new|returning) (?:backers|investors)|from investors including)"
    r"\s+(?P<names>.+?)(?=(?:,? which|,? who|,\s(?!including\b)[a-z]+ing\b|,\s[a-z]+ed\b|"
    r",? at an?|,? values|"
    r",? state media|\sreported\b|\u2014|"
    r",? according|,? the company|,? it said|,? to |;|\.\s(?![a-z])|\.$|$))",
)
# "raised $600 million from Alibaba Group Holding Ltd. and other investors"
FROM_AFTER_MONEY = re.compile(
    r"^\s*(?:\([^)]*\)\s*)?(?:in (?:[\w-]+ ){0,4})?from\s+(?P<names>.+?)"
    r"(?=(?:,? at an?|,\s(?!including\b)[a-z]+ing\b|,? which|,? according|,? state media|"
    r"\sreported\b|;|"
    r"\.\s(?![a-z])|\.$|$))"
)
PARTICIPATED_BEFORE = re.compile(
    r"(?P<clause>[^,;:]{0,160}?)\s(?:also )?(?:participated|joined the round|joined in)\b"
)
COMPANY_BEFORE_VERB = re.compile(
    r"(?P<name>(?:[A-Z0-9][\w.&'\u2019+-]*\s){0,5}?(?:[A-Z0-9]|[a-z]+[A-Z])[\w.&'\u2019+-]*)"
    r"(?:,\s(?:a|an|the|which|one|its|now)\b[^,]{3,160},|,)?"
    r"(?:\s(?:on \w+day|this week|today|last week|on \w+ \d{1,2}))?"
    r"\s(?:(?:says|said|revealed|announced|confirmed|disclosed)"
    r"(?: on \w+day)? (?:that )?it )?"
    r"(?:has |have |had |is |was |may have )?(?:reportedly |just |now |also )?"
    r"(?:(?:nearing|near|close to|in talks for) a deal to |(?:set|looking|seeking) to )?"
    r"(?:rais(?:es|ed|ing)|secur(?:es|ed)|clos(?:es|ed)|lands|landed|bags|bagged|nets|netted|"
    r"snags|snagged|picks up|picked up|gets|got|receives|received|completes|completed|"
    r"announces|announced|draws|drew|attracts|attracted|scores|scored|grabs|hauls|nabs|collects|"
    r"wins|won|seals|sealed|valued|raise)\b"
)
COMPANY_AFTER = re.compile(
    r"\b(?:round|investment|funding|financing|stake|stakes|bet|backs|backing|led|leads|invests|"
    r"invested|funds|money|capital|cash)\s(?:in|into|for)\s(?P<name>(?:\S+\s?){1,10})"
)


# "SenseTime, a Beijing-based face recognition brand, says ...": the subject, described.
SUBJECT_DESCRIBED = re.compile(
    r"^(?P<name>[A-Z0-9][\w.&'\u2019+-]*(?:\s[A-Z0-9][\w.&'\u2019+-]*){0,4}),\s(?:a|an|the|one)\s"
)

# A "company" with an investor's name raising money is a fund, not a startup.
INVESTOR_NAME = re.compile(r"\b(?:Fund|Ventures|Capital|Partners|Investments)$")
