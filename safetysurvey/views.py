from django.shortcuts import render


def home(request):
    """The front page: residents go to the survey; staff find their tools."""
    return render(request, "home.html")
