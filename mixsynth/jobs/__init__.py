"""One library job per command: what ``generate`` and ``compare`` do, as named steps,
with no terminal in sight (the CLI parses options and prints; the API calls the same
engine)."""
