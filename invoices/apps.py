from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"

    def ready(self):
        # A merge of two items moves the invoice lines of the old item to the survivor.
        from items.services.merge import register_item_reference

        register_item_reference("invoices.InvoiceLine", "item", label="invoice lines")
