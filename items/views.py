from django.core.paginator import Paginator
from django.shortcuts import render

from inventory_site.permissions import organization_required
from items.selectors import search_items


@organization_required
def index(request):
    query = request.GET.get("q", "")
    page = Paginator(search_items(organization=request.organization, query=query), 50).get_page(request.GET.get("page"))
    template = "items/index.html#results" if request.htmx else "items/index.html"
    return render(request, template, {"page": page, "query": query})
