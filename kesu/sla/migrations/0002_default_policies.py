from django.db import migrations

from kesu.sla.defaults import load_default_policies


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_initial"),
        ("cases", "0002_search_audit_defaults"),
    ]

    operations = [
        migrations.RunPython(load_default_policies, migrations.RunPython.noop),
    ]
