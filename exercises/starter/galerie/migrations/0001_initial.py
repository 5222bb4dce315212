import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='Obrazek',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('nazev', models.CharField(max_length=100, verbose_name='název')),
                ('soubor', models.FileField(upload_to='obrazky/', validators=[django.core.validators.FileExtensionValidator(['svg', 'png', 'jpg', 'jpeg', 'gif', 'webp'])], verbose_name='soubor')),
                ('nahrano', models.DateTimeField(auto_now_add=True, verbose_name='nahráno')),
            ],
            options={
                'verbose_name': 'obrázek',
                'verbose_name_plural': 'obrázky',
                'ordering': ['-nahrano', '-id'],
            },
        ),
    ]
