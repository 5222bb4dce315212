"""Data migration: one sample picture, so every database (SQLite now,
PostgreSQL later) has a record pointing to a file in MEDIA_ROOT."""

from django.db import migrations

UKAZKA = 'obrazky/ukazka.svg'  # shipped with the project in media/obrazky/


def pridej_ukazku(apps, schema_editor):
    Obrazek = apps.get_model('galerie', 'Obrazek')
    db = schema_editor.connection.alias
    if not Obrazek.objects.using(db).filter(soubor=UKAZKA).exists():
        Obrazek.objects.using(db).create(nazev='Ukázkový obrázek', soubor=UKAZKA)


def odeber_ukazku(apps, schema_editor):
    Obrazek = apps.get_model('galerie', 'Obrazek')
    Obrazek.objects.using(schema_editor.connection.alias).filter(soubor=UKAZKA).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('galerie', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(pridej_ukazku, odeber_ukazku),
    ]
