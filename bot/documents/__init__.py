"""Documents an assessor or a review meeting reads: the portfolio and the progress review pack.

Each document is built once as plain data (pure functions over entries and
progress) and then rendered: HTML from Jinja2 templates, PDF from that same
HTML, Markdown and CSV from the same data.
"""
