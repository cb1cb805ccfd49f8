import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def tls_mode_from_use_tls(apps, schema_editor):
    """use_tls=False was plain IMAP; everything else stays implicit TLS."""
    Mailbox = apps.get_model("intake", "Mailbox")
    Mailbox.objects.filter(use_tls=False).update(tls_mode="plain")


def use_tls_from_tls_mode(apps, schema_editor):
    Mailbox = apps.get_model("intake", "Mailbox")
    Mailbox.objects.filter(tls_mode="plain").update(use_tls=False)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_list_indexes"),
        ("intake", "0003_merge_mail_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailbox",
            name="tls_mode",
            field=models.CharField(
                choices=[
                    ("tls", "TLS (IMAPS, port 993)"),
                    ("starttls", "STARTTLS (port 143)"),
                    ("plain", "None: loopback only"),
                ],
                default="tls",
                help_text="TLS from the start (port 993) or STARTTLS (port 143). Unencrypted only to this machine (127.0.0.1, ::1, localhost), e.g. a local test server.",
                max_length=10,
                verbose_name="TLS",
            ),
        ),
        migrations.AddField(
            model_name="mailbox",
            name="ca_file",
            field=models.CharField(
                blank=True,
                help_text="Path of a PEM file; empty: the system's trusted CAs.",
                max_length=500,
                verbose_name="CA certificate file",
            ),
        ),
        migrations.RunPython(tls_mode_from_use_tls, use_tls_from_tls_mode),
        migrations.RemoveField(model_name="mailbox", name="use_tls"),
        migrations.CreateModel(
            name="SentMail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "message_id",
                    models.CharField(
                        max_length=998, unique=True, verbose_name="Message-ID"
                    ),
                ),
                ("kind", models.CharField(max_length=40, verbose_name="kind")),
                (
                    "sent_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="sent"
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="sent_mails",
                        to="cases.case",
                    ),
                ),
            ],
            options={
                "verbose_name": "sent mail",
                "verbose_name_plural": "sent mails",
                "ordering": ["-sent_at", "-pk"],
            },
        ),
    ]
