using System;
using System.IO;

namespace AuraGuard
{
    /// <summary>Turns a missing native library into an error that says where it was
    /// looked for and how to fix it.</summary>
    internal static class NativeLibrary
    {
        internal static T Call<T>(Func<T> call)
        {
            try
            {
                return call();
            }
            catch (DllNotFoundException e)
            {
                throw NotFound(e);
            }
        }

        internal static DllNotFoundException NotFound(DllNotFoundException e)
        {
            string path = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            string here = Path.GetDirectoryName(typeof(NativeLibrary).Assembly.Location);
            return new DllNotFoundException(
                "libauraguard.so (DllImport \"auraguard\") could not be loaded. Searched: the directory of " +
                "AuraGuard.dll (" + here + "), LD_LIBRARY_PATH (" + (string.IsNullOrEmpty(path) ? "unset" : path) +
                "), the system library path (ldconfig) and any <dllmap> in AuraGuard.dll.config. " +
                "Fix: build it with `make build` (target/release/libauraguard.so) and run with " +
                "LD_LIBRARY_PATH=<repo>/target/release, install it with `make install`, or copy " +
                "libauraguard.so next to AuraGuard.dll. (" + e.Message + ")", e);
        }
    }
}
