"""The resident online survey: /survey/..."""

from django.urls import path

from . import views

app_name = "survey"

urlpatterns = [
    path("", views.start, name="start"),
    path("thanks/", views.thanks, name="thanks"),
    # The admin's preview of a checklist version before it is published.
    path("preview/<int:pk>/<str:language>/", views.checklist_preview, name="preview"),
    # District codes (KRG-KZB) are printed as QR codes on posters and buses.
    path("<slug:code>/", views.district, name="district"),
    path("<slug:code>/questions/", views.questions, name="questions"),
]
