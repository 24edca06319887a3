"""The order's thread on Epicentr in its chatter: the comments Epicentr shows, and those the seller
sent from Odoo."""

from datetime import datetime

from markupsafe import Markup

from odoo import api, fields, models

from ..utils.messages import text_html
from ..utils.order_card import Comment

# Epicentr's comments shown in an order's chatter: at most this many a read, each at most this long
MAX_COMMENTS_POSTED = 50
MAX_COMMENT_LENGTH = 4000


class EpicentrOrderComments(models.AbstractModel):
    _name = "epicentr.order.comments"
    _description = "Epicentr order comments"

    @api.model
    def _read(self, raw_comments):
        """Epicentr's comments (Comment), oldest first (those without a time first)."""
        comments = [comment for comment in (Comment.parse(raw, MAX_COMMENT_LENGTH) for raw in raw_comments) if comment]
        return sorted(comments, key=lambda c: (c.created_at is not None, c.created_at or datetime.min))

    @api.model
    def _post(self, order, raw_comments):
        """Show Epicentr's comments of ``order`` that its chatter lacks, each signed with its
        author and time; the seller's own comments sent from Odoo are there already."""
        sent = set(self.env["epicentr.outbox"].sudo().search([
            ("order_id", "=", order.id), ("kind", "=", "comment"), ("state", "=", "done")]).mapped("comment"))
        comments = self._read(raw_comments)
        new = comments[order.epicentr_comments_read:]
        if len(new) > MAX_COMMENTS_POSTED:  # a flood: the latest are shown, the rest counted
            order.message_post(body=self.env._(
                "%(count)s more comments on Epicentr are not shown here: read them in the seller cabinet.",
                count=len(new) - MAX_COMMENTS_POSTED), message_type="comment", subtype_xmlid="mail.mt_note")
            new = new[-MAX_COMMENTS_POSTED:]
        for comment in new:
            if not comment.content or comment.content in sent:
                continue
            date = comment.created_at or fields.Datetime.now()
            order.message_post(
                body=Markup("<p><b>%s</b> · %s</p><p>%s</p>") % (
                    self.env._("%(author)s on Epicentr", author=comment.author or self.env._("Epicentr")),
                    fields.Datetime.context_timestamp(order, date).strftime("%Y-%m-%d %H:%M"), comment.content),
                message_type="comment", subtype_xmlid="mail.mt_note", date=date,
                author_id=self.env.ref("base.partner_root").id)
        order.sudo().epicentr_comments_read = len(comments)

    @api.model
    def _sent(self, order, comment):
        """The seller's comment is in the order's thread on Epicentr: its chatter says so."""
        order.message_post(body=text_html(self.env._("Comment sent to Epicentr: %(comment)s", comment=comment)),
                           message_type="comment", subtype_xmlid="mail.mt_note")
