from django.db.models import Q, QuerySet

from items.models import Item


def search_items(*, organization, query: str = "") -> QuerySet[Item]:
    items = Item.objects.for_org(organization).filter(archived=False)
    query = (query or "").strip()
    if query:
        items = items.filter(Q(name__icontains=query) | Q(upc__startswith=query) | Q(producer__icontains=query))
    return items.order_by("name", "size_ml")
