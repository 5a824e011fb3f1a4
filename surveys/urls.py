"""The resident online survey: /survey/..."""

from django.urls import path

from . import views

app_name = "survey"

urlpatterns = [
    path("", views.start, name="start"),
    path("thanks/", views.thanks, name="thanks"),
    # District codes (KRG-KZB) are printed as QR codes on posters and buses.
    path("<slug:code>/", views.district, name="district"),
    path("<slug:code>/questions/", views.questions, name="questions"),
]
