from django.contrib import admin

from .models import Obrazek


@admin.register(Obrazek)
class ObrazekAdmin(admin.ModelAdmin):
    list_display = ['nazev', 'soubor', 'nahrano']
    search_fields = ['nazev']
