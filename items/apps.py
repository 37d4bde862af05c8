from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"

    def ready(self):
        # The merge registry with the items app's own references (identifiers, movements, costs,
        # count lines, pars, dismissed duplicates). Apps listed later in INSTALLED_APPS register
        # theirs from their own ready(): see items/services/merge.py.
        from items.services import merge

        merge.register_items_references()
