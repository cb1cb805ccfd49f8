from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0002_imports"),
        ("intake", "0002_mail"),
    ]

    operations = []
