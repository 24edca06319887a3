"""What the routes read from a query: the order list's bracket-syntax filters and sort, a page's
limit and offset, a delivery dictionary's title filter. A parameter the sandbox cannot read is a
400 that names it."""
import re
from datetime import date, datetime, time, timedelta, timezone

from .errors import ApiError
from .pages import SORT_FIELDS

DEFAULT_LIMIT, MAX_LIMIT = 25, 100

# filter[...] keys: the date ranges, the repeatable status, and plain equality on one field.
DATE_FILTER = re.compile(r"filter\[(createdAt|updatedAt)\]\[(from|to)\]")
EQUALITY_FILTERS = {
    "filter[number]": lambda o: o["number"],
    "filter[paymentProvider]": lambda o: o["address"]["shipment"]["paymentProvider"],
    "filter[paymentStatus]": lambda o: o["address"]["shipment"]["paymentStatus"],
    "filter[shipmentProvider]": lambda o: o["address"]["shipment"]["provider"],
    "filter[trustedCompany]": lambda o: "trusted" if o["trustedCompany"] else "untrusted",
}
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
DICTIONARY_FILTERS = {"filter[title]", "filter[isActive]"}


def _bad_parameter(name, message):
    return ApiError(400, "Invalid request parameters", {name: [message]})


def _parse_moment(name, value, end_of_day):
    """A date (2026-10-09: the whole day) or an ISO datetime (Z / offset; naive = UTC)."""
    try:
        if DATE_ONLY.fullmatch(value):
            day = datetime.combine(date.fromisoformat(value), time(), timezone.utc)
            return day + timedelta(days=1, microseconds=-1) if end_of_day else day
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad_parameter(name, "Expected a date (2026-10-09) or an ISO 8601 date-time "
                                   "(2026-10-09T08:00:00+00:00).") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _order_moment(order, field):
    return datetime.fromisoformat(order[field])


def parse_filters(args):
    """Turn the bracket-syntax filters into predicates on stored orders."""
    predicates = []
    for name in args:
        if not name.startswith("filter["):
            continue  # flat parameters (?statusCode=new) are ignored, as by the live API
        values = args.getlist(name)
        date_match = DATE_FILTER.fullmatch(name)
        if date_match:
            field, bound = date_match.groups()
            moment = _parse_moment(name, values[-1], end_of_day=bound == "to")
            if bound == "from":
                predicates.append(lambda o, f=field, m=moment: _order_moment(o, f) >= m)
            else:
                predicates.append(lambda o, f=field, m=moment: _order_moment(o, f) <= m)
        elif name == "filter[statusCode][]":
            predicates.append(lambda o, codes=set(values): o["statusCode"] in codes)
        elif name in EQUALITY_FILTERS:
            predicates.append(lambda o, get=EQUALITY_FILTERS[name], v=values[-1]: get(o) == v)
        else:
            raise _bad_parameter(name, "Filter not supported by the sandbox (supported: "
                                       "createdAt/updatedAt from|to, statusCode[], "
                                       + ", ".join(k[7:-1] for k in EQUALITY_FILTERS) + ").")
    return predicates


def parse_sort(args):
    """sort[]=field or -field, repeatable; default -createdAt. Returns [(field, descending)]."""
    fields = []
    for value in args.getlist("sort[]") or ["-createdAt"]:
        name = value.lstrip("-")
        if name not in SORT_FIELDS:
            raise _bad_parameter("sort[]", f"One of {', '.join(SORT_FIELDS)}, '-' for descending.")
        fields.append((name, value.startswith("-")))
    return fields


def parse_int(args, name, default, minimum):
    value = args.get(name, str(default))
    if not value.isdigit() or int(value) < minimum:
        raise _bad_parameter(name, f"This value should be an integer of at least {minimum}.")
    return int(value)


def parse_limit(args):
    return min(parse_int(args, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)


def dictionary_args(args):
    """The title filter and page of a delivery dictionary (an unknown filter is a 400)."""
    unknown = [name for name in args if name.startswith("filter[") and name not in DICTIONARY_FILTERS]
    if unknown:
        raise _bad_parameter(unknown[0], "Unknown filter.")
    return {"title": args.get("filter[title]"), "limit": parse_limit(args), "offset": parse_int(args, "offset", 0, 0)}
