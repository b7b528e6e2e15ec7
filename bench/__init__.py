"""`make bench`: Roundbook measured side by side with raw baselines on the same machine."""
