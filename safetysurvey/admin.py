"""The admin site's names: Django's defaults say "Django administration"."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Community safety survey: administration")
admin.site.site_title = _("Community safety survey")
admin.site.index_title = _("Site administration")
