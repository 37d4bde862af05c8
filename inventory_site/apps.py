from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _apply_rls(sender, using="default", **kwargs):
    from inventory_site.db_backend.base import owner_mode_active
    from inventory_site.rls import apply_row_level_security

    # `flush` (between transactional tests) also sends post_migrate, as the app role, which
    # may not alter tables; policies survive a flush, so only `migrate` needs to apply them.
    if not owner_mode_active():
        return

    apply_row_level_security(using=using)


class InventorySiteConfig(AppConfig):
    name = "inventory_site"
    verbose_name = "Backstock site"

    def ready(self):
        # Sent once per app per migrate; ours runs after every migration has been applied.
        post_migrate.connect(_apply_rls, sender=self, dispatch_uid="backstock-apply-rls")
