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


def assigned_districts(user):
    """The districts a user is assigned to, and those under them: a coordinator of
    Karaganda city works in its two city districts, one of the region in every district."""
    from django.db.models import Q

    from checklist.models import District

    if not user.is_authenticated:
        return District.objects.none()
    assigned = Q(assignments__user=user) | Q(parent__assignments__user=user) | Q(parent__parent__assignments__user=user)
    return District.objects.filter(pk__in=District.objects.filter(assigned).values("pk"))


def districts_of(user):
    """The districts a user may see: all for analysts and admins, else their assignments."""
    from checklist.models import District

    if user.is_superuser or has_role(user, ANALYST):
        return District.objects.all()
    return assigned_districts(user)


def ensure_groups() -> None:
    for role in ROLES:
        Group.objects.get_or_create(name=role)
