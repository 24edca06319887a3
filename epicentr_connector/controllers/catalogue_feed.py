"""The catalogue feed as Epicentr reads it: no login, the source's unguessable key in the address
(a wrong or renewed key: 404), the file streamed from disk; and the pictures of the products in
it as JPEG, by the source's and the product's ids (Epicentr shows them to everyone anyway, so
their addresses need no key, and a renewed key leaves them as they are)."""

import base64
import os
import re
import secrets

from werkzeug.exceptions import NotFound
from werkzeug.wsgi import wrap_file

from odoo import http
from odoo.http import request
from odoo.tools.image import image_process

from ..sync.catalogue_feed import CatalogueFeed, feed_path

KEY = re.compile(r"[A-Za-z0-9_-]{20,64}")


class CatalogueFeedController(http.Controller):

    def _source(self, key):
        if not KEY.fullmatch(key):
            raise NotFound()
        source = request.env["epicentr.source"].sudo().search([("feed_key", "=", key), ("active", "=", True)], limit=1)
        if not source or not secrets.compare_digest(source.feed_key, key):
            raise NotFound()
        return source.with_company(source.company_id)

    @http.route("/epicentr/feed/<string:key>.xml", type="http", auth="public", methods=["GET", "HEAD"],
                csrf=False, save_session=False)
    def feed(self, key):
        source = self._source(key)
        path = feed_path(request.env, source.id)
        if not os.path.exists(path):  # never made yet: make it now, Epicentr waits
            CatalogueFeed(source).build()
        stream = open(path, "rb")  # noqa: SIM115 (closed by the response)
        return request.make_response(
            wrap_file(request.httprequest.environ, stream),
            headers=[("Content-Type", "application/xml; charset=utf-8"), ("Content-Length", str(os.path.getsize(path))),
                     ("Cache-Control", "no-cache")])

    @http.route("/epicentr/feed/<int:source_id>/image/<int:product_id>.jpg", type="http", auth="public",
                methods=["GET", "HEAD"], csrf=False, save_session=False)
    def picture(self, source_id, product_id):
        offer = request.env["epicentr.offer"].sudo().search(
            [("source_id", "=", source_id), ("product_id", "=", product_id), ("in_feed", "=", True),
             ("source_id.active", "=", True)], limit=1)
        image = offer.product_id.image_1920
        if not image:
            raise NotFound()
        jpeg = image_process(base64.b64decode(image), output_format="JPEG", quality=90)
        return request.make_response(jpeg, headers=[("Content-Type", "image/jpeg"), ("Cache-Control", "max-age=86400")])
