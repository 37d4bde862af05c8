# inventory_site has no models; this module exists so Django sends it post_migrate,
# which is where row-level security is (re)applied (see apps.py).
