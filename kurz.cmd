@echo off
rem The course's one command on Windows: ./kurz step3 in PowerShell, kurz step3 in cmd.
rem Runs the checker (or, with "lab" first, the offline course VM) with the repository's .venv,
rem and creates that .venv on first use (needs Python 3.11+ from python.org: the "py" launcher).
setlocal
set "KURZ_DIR=%~dp0"
set "KURZ_PY=%KURZ_DIR%.venv\Scripts\python.exe"
if exist "%KURZ_PY%" if exist "%KURZ_DIR%.venv\.kurz-ready" goto run
where py >nul 2>nul
if errorlevel 1 goto nopy
py -3 "%KURZ_DIR%scripts\kurz_setup.py"
if errorlevel 1 exit /b 2
goto run
:nopy
python "%KURZ_DIR%scripts\kurz_setup.py"
if errorlevel 1 exit /b 2
:run
"%KURZ_PY%" "%KURZ_DIR%scripts\kurz.py" %*
exit /b %ERRORLEVEL%
