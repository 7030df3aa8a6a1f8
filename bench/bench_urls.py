"""The application's URLs plus the floors of the request benchmark: the least an authenticated page and a
form submission can cost with the same middleware, session, authentication and CSRF checks."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path

from pv_tracker.urls import urlpatterns as application_urlpatterns


@login_required
def trivial_page(request):
    """A page of the application's layout (base.html: menus, role flags, alert banner) with one line in it."""
    return render(request, "core/form_page.html", {"page_title": "Trivial page"})


class TrivialForm(forms.Form):
    reaction_ref = forms.CharField(max_length=50)
    onset_date = forms.DateField()


@login_required
def trivial_form(request):
    form = TrivialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect(request.path)
    return render(request, "core/form_page.html", {"form": form, "page_title": "Trivial form"})


urlpatterns = [
    path("bench/trivial/", trivial_page),
    path("bench/trivial-form/", trivial_form),
    *application_urlpatterns,
]
