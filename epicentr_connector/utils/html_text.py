from markupsafe import Markup


def text_html(text):
    """Plain text (e.g. an error from Epicentr) as HTML that shows it verbatim: escaped, line
    breaks kept, nothing turned into a link or an image (unlike plaintext2html)."""
    return Markup("<p>%s</p>") % Markup("<br/>").join(str(text or "").splitlines())
