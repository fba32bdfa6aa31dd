using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace AuraGuard.Tests
{
    /// <summary>
    /// Real HTTP peers on 127.0.0.1 for the failure tests: one that answers every request
    /// with a fixed status, one that reads requests and never answers, and a port where
    /// nothing listens. Each counts the requests that reached it.
    /// </summary>
    internal sealed class LoopbackServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly Thread _thread;
        private readonly int _status;
        private readonly ManualResetEvent _stop = new ManualResetEvent(false);
        private int _requests;

        private LoopbackServer(int status)
        {
            _status = status;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _thread = new Thread(Serve) { IsBackground = true };
            _thread.Start();
        }

        /// <summary>Answers every request with <paramref name="status"/>.</summary>
        public static LoopbackServer Answering(int status)
        {
            return new LoopbackServer(status);
        }

        /// <summary>Reads every request and never answers.</summary>
        public static LoopbackServer Hanging()
        {
            return new LoopbackServer(0);
        }

        /// <summary>A URL on a port where nothing listens.</summary>
        public static string Closed()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return "http://127.0.0.1:" + port + "/";
        }

        public string Url
        {
            get { return "http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port + "/"; }
        }

        public int Requests
        {
            get { return Interlocked.CompareExchange(ref _requests, 0, 0); }
        }

        private void Serve()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = _listener.AcceptTcpClient();
                }
                catch (Exception)
                {
                    return; // stopped
                }
                var t = new Thread(() => Handle(client)) { IsBackground = true };
                t.Start();
            }
        }

        private void Handle(TcpClient client)
        {
            using (client)
            {
                try
                {
                    NetworkStream stream = client.GetStream();
                    var buffer = new byte[4096];
                    var head = new StringBuilder();
                    while (head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) < 0)
                    {
                        int n = stream.Read(buffer, 0, buffer.Length);
                        if (n <= 0) return;
                        head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    Interlocked.Increment(ref _requests);
                    if (_status == 0)
                    {
                        _stop.WaitOne(TimeSpan.FromSeconds(30));
                        return;
                    }
                    byte[] reply = Encoding.ASCII.GetBytes("HTTP/1.1 " + _status + " Status\r\nContent-Length: 0\r\n" +
                        "Connection: close\r\n\r\n");
                    stream.Write(reply, 0, reply.Length);
                }
                catch (Exception)
                {
                    // the client gave up; nothing to answer
                }
            }
        }

        public void Dispose()
        {
            _stop.Set();
            _listener.Stop();
        }
    }
}
