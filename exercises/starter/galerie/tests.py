import shutil
import tempfile

from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import reverse

from .models import Obrazek

OBRAZEK_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10" fill="red"/></svg>'
)


class DomovskaStrankaTests(TestCase):
    def test_stranka_se_zobrazi(self):
        odpoved = self.client.get(reverse('galerie:index'))
        self.assertEqual(odpoved.status_code, 200)
        self.assertContains(odpoved, '<h1>Galerie</h1>', html=True)
        self.assertContains(odpoved, '/static/galerie/styl.css')
        self.assertContains(odpoved, '/static/galerie/logo.svg')

    def test_ukazkovy_obrazek_z_migrace(self):
        ukazka = Obrazek.objects.get(soubor='obrazky/ukazka.svg')
        self.assertEqual(ukazka.nazev, 'Ukázkový obrázek')
        odpoved = self.client.get(reverse('galerie:index'))
        self.assertContains(odpoved, '/media/obrazky/ukazka.svg')

    def test_staticke_soubory_aplikace(self):
        self.assertIsNotNone(finders.find('galerie/styl.css'))
        self.assertIsNotNone(finders.find('galerie/logo.svg'))

    def test_administrace(self):
        odpoved = self.client.get('/admin/login/')
        self.assertEqual(odpoved.status_code, 200)


class NahravaniTests(TestCase):
    def setUp(self):
        self.media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.media, ignore_errors=True)

    def _nahraj(self, jmeno='test.svg', obsah=OBRAZEK_SVG):
        return self.client.post(reverse('galerie:index'), {
            'nazev': 'Testovací obrázek',
            'soubor': SimpleUploadedFile(jmeno, obsah, content_type='image/svg+xml'),
        }, follow=True)

    def test_nahrani_obrazku(self):
        with self.settings(MEDIA_ROOT=self.media):
            odpoved = self._nahraj()
        self.assertContains(odpoved, 'je nahraný')
        obrazek = Obrazek.objects.get(nazev='Testovací obrázek')
        self.assertTrue(obrazek.soubor.name.startswith('obrazky/'))

    @override_settings(MEDIA_ROOT='')
    def test_bez_media_root_se_nenahrava(self):
        odpoved = self._nahraj()
        self.assertContains(odpoved, 'chybí MEDIA_ROOT')
        self.assertFalse(Obrazek.objects.filter(nazev='Testovací obrázek').exists())

    def test_spatna_pripona(self):
        with self.settings(MEDIA_ROOT=self.media):
            odpoved = self._nahraj(jmeno='skript.exe', obsah=b'MZ')
        self.assertEqual(odpoved.status_code, 200)
        self.assertFalse(Obrazek.objects.filter(nazev='Testovací obrázek').exists())
