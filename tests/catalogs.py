"""What the translation tests ask of Django's compiled catalogs."""

from django.utils.translation import trans_real


def catalog_key(msgid: str, context: str | None = None, plural: bool = False):
    """How gettext keys a string in a compiled catalog."""
    key = msgid if context is None else f"{context}\x04{msgid}"
    return (key, 0) if plural else key


def own_catalogs(language: str, domain: str = "django") -> list[dict]:
    """The catalogs that translate into `language` itself: ours and the apps', without the
    fallback to the default language (Russian) that Django adds behind them."""
    translation = trans_real.DjangoTranslation(language, domain=domain)
    catalogs, fallback = [translation._catalog], translation._fallback
    while fallback is not None and not isinstance(fallback, trans_real.DjangoTranslation):
        catalogs.append(fallback._catalog)  # an app's catalog for a variant (DRF's ru_RU before ru)
        fallback = fallback._fallback
    return catalogs


def untranslated(keys: dict, language: str, domain: str = "django") -> list[str]:
    """The msgids of {msgid: catalog key} that no catalog of `language` itself translates."""
    catalogs = own_catalogs(language, domain)
    return sorted(msgid for msgid, key in keys.items() if not any(key in catalog for catalog in catalogs))
