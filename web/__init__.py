"""What the pages of both apps share: money and dates as people read them
(`formatting.py`) and the server-built SVG charts (`charts.py`). Web code: it may read
the apps' data; no app's models, services or selectors import it."""
