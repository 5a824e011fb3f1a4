"""Application configs for third-party apps whose names the admin shows untranslated."""

import axes.apps
from django.utils.translation import gettext_lazy as _


class AxesConfig(axes.apps.AppConfig):
    """django-axes under a translated name (the admin's index headed its section "Axes")."""

    # Not the config of the safetysurvey app itself: that stays Django's default.
    default = False
    verbose_name = _("Log-in lockout")
