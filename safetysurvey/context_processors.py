from checklist.definition import LANGUAGE_NAMES
from surveys.roles import role_names


def staff_roles(request) -> dict:
    """The signed-in user's roles, for the navigation (the views check permissions themselves)."""
    user = getattr(request, "user", None)
    return {"staff_roles": role_names(user) if user is not None else frozenset()}


def language_names(request) -> dict:
    """The languages of the site, each named in itself, for the language buttons."""
    return {"language_names": LANGUAGE_NAMES.items()}
