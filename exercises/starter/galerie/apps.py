from django.apps import AppConfig


class GalerieConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'galerie'
    verbose_name = 'Galerie'
