/* A stand-in for Windows' bcryptprimitives.dll, for Wine < 9 only: Go >= 1.24 programs
 * import ProcessPrng from it at start-up, and Wine 8 has no such DLL. It forwards to
 * BCryptGenRandom, which Wine has. packaging/windows/winetest builds it with mingw-w64 and
 * copies it into the test prefix's system32 only after a Go program failed to start there;
 * it is never shipped. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
