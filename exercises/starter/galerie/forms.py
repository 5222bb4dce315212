from django import forms

from .models import Obrazek

# Upper bound for one uploaded picture (bytes).
MAX_VELIKOST = 2 * 1024 * 1024


class ObrazekForm(forms.ModelForm):
    class Meta:
        model = Obrazek
        fields = ['nazev', 'soubor']

    def clean_soubor(self):
        soubor = self.cleaned_data['soubor']
        if soubor and soubor.size > MAX_VELIKOST:
            raise forms.ValidationError('Soubor je příliš velký, nejvýše 2 MB.')
        return soubor
