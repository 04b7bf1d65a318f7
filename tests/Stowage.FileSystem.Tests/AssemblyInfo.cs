// The tests mount filesystems and check Unix permission bits: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
