// The CLI tests run real processes, sshd and a pseudo-terminal: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
