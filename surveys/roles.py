"""The staff roles. Each is a Django group; district-scoped roles also need Assignments."""

from django.contrib.auth.models import Group

VOLUNTEER = "volunteer"  # keys in paper sheets of their districts
COORDINATOR = "coordinator"  # manages batches, volunteers and reconciliation of their districts
ANALYST = "analyst"  # the working group: reads reports and exports of every district
ROLES = (VOLUNTEER, COORDINATOR, ANALYST)


def role_names(user) -> frozenset[str]:
    """The user's roles, read once per user object (a request's user lives for one request)."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return frozenset(ROLES)
    names = getattr(user, "_safetysurvey_roles", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._safetysurvey_roles = names
    return names


def has_role(user, role: str) -> bool:
    return role in role_names(user)


def districts_of(user):
    """The districts a user may see: all for analysts and admins, else their assignments."""
    from checklist.models import District

    if user.is_superuser or has_role(user, ANALYST):
        return District.objects.all()
    return District.objects.filter(assignments__user=user)


def ensure_groups() -> None:
    for role in ROLES:
        Group.objects.get_or_create(name=role)
