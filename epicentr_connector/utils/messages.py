"""What the connector shows a person: notifications, Epicentr's text in HTML, Epicentr's user."""

from markupsafe import Markup


def text_html(text):
    """Plain text (e.g. an error from Epicentr) as HTML that shows it verbatim: escaped, line
    breaks kept, nothing turned into a link or an image (unlike plaintext2html)."""
    return Markup("<p>%s</p>") % Markup("<br/>").join(str(text or "").splitlines())


def notification(kind, title, message, sticky=False):
    """A client action showing a notification; the form behind it reloads."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"type": kind, "title": title, "message": message, "sticky": sticky,
                   "next": {"type": "ir.actions.act_window_close"}},
    }


def epicentr_user_label(env, user):
    """“Name <email> (company …)” from whatever the /v1/my/user payload holds."""
    name = user.get("fullName") or user.get("name") or " ".join(
        filter(None, (user.get("firstName"), user.get("lastName"))))
    email = user.get("email") or user.get("login")
    company = user.get("company")
    if isinstance(company, dict):
        company = company.get("title") or company.get("name") or company.get("id")
    company = company or user.get("companyName") or user.get("companyId")
    who = f"{name} <{email}>" if name and email else name or email or str(user.get("id") or "?")
    if company:
        who = env._("%(user)s (company %(company)s)", user=who, company=company)
    return who
