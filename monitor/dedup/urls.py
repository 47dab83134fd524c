"""URL canonicalisation: the link an article is stored and shown under, and the looser key it is known by (pure).

Two forms, because they serve two purposes. ``normalize_url`` must stay a working link (alerts show it), so it
only drops what never changes the page: tracking parameters, fragments, default ports, AMP switches. ``url_key``
is identity only, never shown: it also folds ``www.``/``m.``/``amp.`` hosts, the scheme, a trailing slash and
the order of query parameters, which are safe to ignore for "is this the same article?" but not for a link.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

# Parameters that only say where a click came from. Exact names, compared in lower case.
# fmt: off
TRACKING_PARAMS = frozenset((
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid", "twclid", "ttclid",
    "li_fat_id", "igshid", "igsh", "mkt_tok", "_ga", "_gl", "_openstat", "ref", "ref_src", "ref_url", "cmpid",
    "cmp", "icid", "intcmp", "ocid", "ncid", "smid", "smtyp", "sr_share", "s_cid", "spm", "xtor", "ito",
    "guccounter", "guce_referrer", "guce_referrer_sig", "soc_src", "soc_trk", "__twitter_impression",
    "rss", "from_rss", "cid_rss",
))
# fmt: on
# Parameter families from analytics and mailing tools (Google, Mailchimp, AT Internet, Piwik, Matomo, HubSpot...).
TRACKING_PREFIXES = ("utm_", "mc_", "at_", "pk_", "mtm_", "hsa_", "_hs", "oly_", "itm_", "vero_")
# Query switches that select the AMP rendering of the same article.
AMP_PARAMS = {"amp": None, "outputtype": "amp", "output": "amp"}
# Host prefixes that serve a mobile or AMP copy of the same site.
VARIANT_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
DEFAULT_PORTS = {"http": 80, "https": 443}


def site_of(url: str) -> str:
    """Return the site a URL belongs to: its host in lower case, without www./m./mobile./amp. prefixes."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    stripped = True
    while stripped:
        stripped = False
        for prefix in VARIANT_HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host, stripped = host.removeprefix(prefix), True
    return host


# Sites where every account is its own outlet: the account is the first part of the path (t.me/NAME/123,
# bsky.app/profile/HANDLE/post/ID), and two channels posting the same words are two outlets reporting it.
ACCOUNT_SITES = {"t.me": 1, "telegram.me": 1, "bsky.app": 2}


def outlet_of(url: str) -> str:
    """Return the outlet a URL belongs to: its site, or the account on a site of accounts (``t.me/NAME``)."""
    site = site_of(url)
    depth = ACCOUNT_SITES.get(site)
    if depth is None:
        return site
    segments = [s for s in urlsplit(url).path.split("/") if s and s != "s"][:depth]
    return "/".join(["t.me" if site == "telegram.me" else site, *segments]) if len(segments) == depth else site


def _is_tracker(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _is_amp_switch(name: str, value: str) -> bool:
    wanted = AMP_PARAMS.get(name.lower(), "")
    return name.lower() in AMP_PARAMS and (wanted is None or value.lower() == wanted)


def _strip_amp_path(path: str) -> str:
    # "/story/amp", "/story/amp/", "/story.amp" and "/amp/story" are the AMP copies of "/story" on most CMSs.
    for suffix in ("/amp/", "/amp", ".amp"):
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)] + ("/" if suffix == "/amp/" else "")
    if path.startswith("/amp/") and len(path) > len("/amp/"):
        return path[len("/amp") :]
    return path


def normalize_url(url: str) -> str:
    """Return ``url`` as a working link without trackers, fragment, default port or AMP switches.

    Anything that is not an absolute http(s) URL comes back unchanged (stripped of surrounding space).
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username or parts.password:  # credentials in a feed link are odd, but they are not ours to drop
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    path = _strip_amp_path(parts.path) or "/"
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def _clean_query(query: str) -> str:
    # Pieces are kept as they were written (encoding, bare "?123" keys): re-encoding could break a working link.
    kept = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        if not _is_tracker(name) and not _is_amp_switch(name, value):
            kept.append(piece)
    return "&".join(kept)


def url_key(url: str) -> str:
    """Return the identity of ``url``: two URLs with the same key are the same article. Never a link."""
    link = normalize_url(url)
    try:
        parts = urlsplit(link)
    except ValueError:
        return link
    if parts.scheme not in DEFAULT_PORTS:
        return link
    port = f":{parts.port}" if parts.port else ""
    path = parts.path.rstrip("/") or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{site_of(link)}{port}{path}" + (f"?{query}" if query else "")


def canonical_url(fetched: str, declared: str | None) -> str:
    """Return the URL an article is known by: the page's declared canonical URL when it stays on the same site.

    A page may not claim another site's URL: that would let any page suppress another outlet's alert.
    """
    if declared:
        try:
            scheme = urlsplit(declared.strip()).scheme.lower()
        except ValueError:
            scheme = ""
        if scheme in DEFAULT_PORTS and site_of(declared) == site_of(fetched) and site_of(fetched):
            return normalize_url(declared)
    return normalize_url(fetched)
