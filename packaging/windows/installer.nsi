; Plex Link's per-user Windows installer (NSIS 3, Unicode). packaging/windows-installer.sh
; builds it with makensis from the two programs packaging/windows.sh made:
;   Plex Link.exe  the desktop app (tray + window)
;   plexlink.exe   the command line (console)
; It installs into the user's Programs folder without elevation, adds a Start-menu shortcut,
; puts the folder on the user's PATH (through plexlink.exe, which edits the registry value
; whole: NSIS strings stop at 1024 characters, and a truncated PATH would be written back
; truncated), and registers an uninstaller under the user's installed apps. The uninstaller
; removes the files, the shortcut, the PATH entry and the Run key (start at login); the
; keychain entries (Credential Manager) only when the user says so — never in silent mode.
;
; Defines passed by the script: VERSION (x.y.z), VERSION4 (x.y.z.b), SRC (the folder with
; both .exe, README.md, LICENSE), ICON (.ico), OUTFILE.

; A 64-bit installer, like the programs it installs (both are windows/amd64): it also runs
; under a Wine without its 32-bit half, as in make test.
Target amd64-unicode
RequestExecutionLevel user
SetCompressor /SOLID lzma
ManifestDPIAware true

!define APPNAME "Plex Link"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\PlexLink"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"

Name "${APPNAME}"
OutFile "${OUTFILE}"
Icon "${ICON}"
UninstallIcon "${ICON}"
InstallDir "$LOCALAPPDATA\Programs\${APPNAME}"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VERSION4}"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "FileDescription" "${APPNAME} installer"
VIAddVersionKey "FileVersion" "${VERSION4}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "CompanyName" "Plex Link developers"
VIAddVersionKey "LegalCopyright" "MIT licence"

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "Install"
  SetShellVarContext current
  ; An older copy may be running: its files would be locked.
  nsExec::Exec 'taskkill /F /IM "${APPNAME}.exe"'
  Pop $0
  SetOutPath "$INSTDIR"
  File "/oname=${APPNAME}.exe" "${SRC}\${APPNAME}.exe"
  File "${SRC}\plexlink.exe"
  File "/oname=README.md" "${SRC}\README.md"
  File "/oname=LICENSE.txt" "${SRC}\LICENSE"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\${APPNAME}.exe" "" "$INSTDIR\${APPNAME}.exe" 0

  nsExec::ExecToLog '"$INSTDIR\plexlink.exe" windows-path add "$INSTDIR"'
  Pop $0
  StrCmp $0 "0" +2
    DetailPrint "Could not add $INSTDIR to PATH (exit $0); run plexlink.exe from there."

  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "Plex Link developers"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\${APPNAME}.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegStr HKCU "${UNINSTKEY}" "URLInfoAbout" "https://codeberg.org/plexlink/plexlink"
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  nsExec::Exec 'taskkill /F /IM "${APPNAME}.exe"'
  Pop $0
  ; Asked, never assumed: No in silent mode (/SD IDNO), so a scripted uninstall keeps the link.
  MessageBox MB_YESNO|MB_ICONQUESTION "Also unlink this computer: sign the Plex token and every tool's token out and remove them from Windows Credential Manager?$\n$\nChoose No to keep them for a later install." /SD IDNO IDNO keep
    nsExec::ExecToLog '"$INSTDIR\plexlink.exe" unlink --sign-out'
    Pop $0
  keep:
  nsExec::ExecToLog '"$INSTDIR\plexlink.exe" windows-path remove "$INSTDIR"'
  Pop $0
  DeleteRegValue HKCU "${RUNKEY}" "${APPNAME}"
  Delete "$SMPROGRAMS\${APPNAME}.lnk"
  Delete "$INSTDIR\${APPNAME}.exe"
  Delete "$INSTDIR\plexlink.exe"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\LICENSE.txt"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTKEY}"
SectionEnd
