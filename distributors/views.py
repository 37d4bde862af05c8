from django.shortcuts import render

from inventory_site.permissions import organization_required


@organization_required
def index(request):
    # Built in a later issue; the page says so instead of a dead link.
    return render(request, "coming_soon.html", {"area": "Distributors"})
