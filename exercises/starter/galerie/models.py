from django.core.validators import FileExtensionValidator
from django.db import models

# Picture formats the upload form accepts (no Pillow needed: the file is stored as is).
POVOLENE_PRIPONY = ['svg', 'png', 'jpg', 'jpeg', 'gif', 'webp']


class Obrazek(models.Model):
    """A picture uploaded by a user; the file lands in MEDIA_ROOT/obrazky/."""

    nazev = models.CharField('název', max_length=100)
    soubor = models.FileField(
        'soubor',
        upload_to='obrazky/',
        validators=[FileExtensionValidator(POVOLENE_PRIPONY)],
    )
    nahrano = models.DateTimeField('nahráno', auto_now_add=True)

    class Meta:
        ordering = ['-nahrano', '-id']
        verbose_name = 'obrázek'
        verbose_name_plural = 'obrázky'

    def __str__(self):
        return self.nazev
