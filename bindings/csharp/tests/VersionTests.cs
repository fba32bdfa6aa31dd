using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    [TestFixture]
    public class VersionTests
    {
        [Test]
        public void TheBindingVersionIsTheNativeLibraryVersion()
        {
            Assert.AreEqual(Guard.NativeVersion, Guard.Version);
        }
    }
}
