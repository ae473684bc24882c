"""The formats each document comes in, apart from their renderers so the CLI can offer them cheaply."""

PORTFOLIO_FORMATS = ("pdf", "html", "md", "csv")
REVIEW_FORMATS = ("pdf", "html", "md")
