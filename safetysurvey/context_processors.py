from surveys.roles import role_names


def staff_roles(request) -> dict:
    """The signed-in user's roles, for the navigation (the views check permissions themselves)."""
    user = getattr(request, "user", None)
    return {"staff_roles": role_names(user) if user is not None else frozenset()}
