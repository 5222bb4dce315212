from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render

from .forms import ObrazekForm
from .models import Obrazek


def index(request):
    """Home page: the gallery and a form to upload another picture."""
    # Without MEDIA_ROOT Django would store uploads relative to the current
    # directory, where nobody serves them. Refuse and say why (lesson step 4).
    nahravani_povoleno = bool(settings.MEDIA_ROOT)
    if request.method == 'POST':
        form = ObrazekForm(request.POST, request.FILES)
        if not nahravani_povoleno:
            messages.error(request, 'Nahrávání je vypnuté: v settings.py chybí MEDIA_ROOT.')
        elif form.is_valid():
            obrazek = form.save()
            messages.success(request, f'Obrázek „{obrazek.nazev}“ je nahraný.')
            return redirect('galerie:index')
    else:
        form = ObrazekForm()
    return render(request, 'galerie/index.html', {
        'obrazky': Obrazek.objects.all()[:24],
        'form': form,
        'nahravani_povoleno': nahravani_povoleno,
    })
