using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Threading;

namespace AuraGuard
{
    /// <summary>Whether a failed call's side effect may have happened.</summary>
    public enum SideEffectOutcome
    {
        /// <summary>The call may have reached the other side (a timeout, a connection
        /// reset after sending, a cancellation mid-call). A side-effect tool is recorded
        /// as executed, so the guard never allows it again.</summary>
        Unknown = 0,
        /// <summary>The call certainly did not act (connection refused, a host that does
        /// not resolve, an HTTP error status).</summary>
        NotExecuted = 1,
        /// <summary>The side effect happened although the call failed.</summary>
        Executed = 2,
    }

    /// <summary>
    /// How <see cref="Guard.Run{T}"/> records a failed tool call: the error class the
    /// guard's retry and quarantine rules read ("timeout", "connection_error", "429",
    /// "503", ...) and whether the side effect may have happened.
    /// </summary>
    public sealed class ToolFailure
    {
        /// <summary>The code of a timeout.</summary>
        public const string Timeout = "timeout";
        /// <summary>The code of a connection that failed or broke.</summary>
        public const string ConnectionError = "connection_error";
        /// <summary>The code of a call the caller cancelled.</summary>
        public const string Cancelled = "cancelled";
        /// <summary>The code of a failure nothing classifies.</summary>
        public const string DefaultCode = "error";

        public ToolFailure(string code, SideEffectOutcome outcome)
        {
            Code = string.IsNullOrEmpty(code) ? DefaultCode : code;
            Outcome = outcome;
        }

        /// <summary>The error code recorded.</summary>
        public string Code { get; private set; }

        /// <summary>Whether the side effect may have happened.</summary>
        public SideEffectOutcome Outcome { get; private set; }

        public override string ToString()
        {
            return Code + " (" + Outcome + ")";
        }
    }

    /// <summary>Implemented by exceptions that know how their call failed; it takes
    /// precedence over <see cref="ErrorClassifier.Classify(Exception, CancellationToken)"/>'s mapping.</summary>
    public interface IToolFailure
    {
        /// <summary>The error code ("429", "timeout"); null to let the mapping decide.</summary>
        string ErrorCode { get; }

        /// <summary>Whether the side effect happened; null to let the mapping decide.</summary>
        bool? SideEffectExecuted { get; }
    }

    /// <summary>An exception a tool throws to say exactly how it failed.</summary>
    public class ToolFailedException : Exception, IToolFailure
    {
        public ToolFailedException(string message, string errorCode, bool? sideEffectExecuted = null,
            Exception inner = null)
            : base(message, inner)
        {
            ErrorCode = errorCode;
            SideEffectExecuted = sideEffectExecuted;
        }

        public string ErrorCode { get; private set; }

        public bool? SideEffectExecuted { get; private set; }
    }

    /// <summary>
    /// The mapping from .NET's common failures to the guard's error classes that
    /// <see cref="Guard.Run{T}"/> uses unless <see cref="Guard.ErrorClassifier"/> replaces it.
    /// </summary>
    public static class ErrorClassifier
    {
        /// <summary>
        /// Classifies <paramref name="error"/>; <paramref name="cancellation"/> is the
        /// caller's token, which tells a cancellation from a timeout.
        /// <list type="bullet">
        /// <item><see cref="IToolFailure"/> anywhere in the chain comes first.</item>
        /// <item><see cref="TimeoutException"/>: timeout, outcome unknown.</item>
        /// <item><see cref="OperationCanceledException"/> (<c>TaskCanceledException</c>
        /// included): cancelled when the caller's token was cancelled, otherwise a timeout
        /// (HttpClient's); outcome unknown.</item>
        /// <item><c>HttpRequestException</c> with a <c>StatusCode</c> (or, where it has none,
        /// the status in <c>EnsureSuccessStatusCode</c>'s message), a
        /// <see cref="WebException"/> with an HTTP response, or any exception with an
        /// integer or <see cref="HttpStatusCode"/> <c>StatusCode</c> property: the status
        /// ("503"), not executed.</item>
        /// <item><see cref="SocketException"/> and <see cref="WebException"/>: refused,
        /// unreachable or unresolved is connection_error, not executed; timed out is
        /// timeout; reset, aborted or closed is connection_error, outcome unknown.</item>
        /// <item>anything else: "error", outcome unknown.</item>
        /// </list>
        /// <see cref="AggregateException"/>, <see cref="TargetInvocationException"/> and
        /// an exception wrapping a socket, web or HTTP failure are unwrapped.
        /// </summary>
        public static ToolFailure Classify(Exception error, CancellationToken cancellation)
        {
            if (error == null) throw new ArgumentNullException("error");
            ToolFailure known = Known(error, cancellation, 0);
            string code = known.Code;
            SideEffectOutcome outcome = known.Outcome;
            for (Exception e = error; e != null; e = e.InnerException)
            {
                var explicitFailure = e as IToolFailure;
                if (explicitFailure == null) continue;
                if (!string.IsNullOrEmpty(explicitFailure.ErrorCode)) code = explicitFailure.ErrorCode;
                if (explicitFailure.SideEffectExecuted.HasValue)
                    outcome = explicitFailure.SideEffectExecuted.Value
                        ? SideEffectOutcome.Executed : SideEffectOutcome.NotExecuted;
                break;
            }
            return new ToolFailure(code, outcome);
        }

        /// <summary><see cref="Classify(Exception, CancellationToken)"/> without a caller's token.</summary>
        public static ToolFailure Classify(Exception error)
        {
            return Classify(error, CancellationToken.None);
        }

        private static ToolFailure Known(Exception e, CancellationToken cancellation, int depth)
        {
            if (depth > 8) return Unknown(ToolFailure.DefaultCode);
            var aggregate = e as AggregateException;
            if (aggregate != null && aggregate.InnerExceptions.Count == 1)
                return Known(aggregate.InnerExceptions[0], cancellation, depth + 1);
            if (e is TargetInvocationException && e.InnerException != null)
                return Known(e.InnerException, cancellation, depth + 1);
            if (e is TimeoutException) return Unknown(ToolFailure.Timeout);
            if (e is OperationCanceledException)
                return Unknown(cancellation.IsCancellationRequested ? ToolFailure.Cancelled : ToolFailure.Timeout);

            int? status = StatusOf(e);
            if (status.HasValue && status.Value >= 400) return NotExecuted(status.Value.ToString());

            var socket = e as SocketException;
            if (socket != null) return OfSocket(socket.SocketErrorCode);
            var web = e as WebException;
            if (web != null) return OfWeb(web, cancellation, depth);
            if (e.GetType().FullName == "System.Net.Http.HttpRequestException")
            {
                int? fromMessage = StatusInMessage(e.Message);
                if (fromMessage.HasValue) return NotExecuted(fromMessage.Value.ToString());
            }
            if (e.GetType().FullName == "System.Net.Http.HttpRequestException" || e is IOException)
            {
                if (e.InnerException != null)
                {
                    ToolFailure inner = Known(e.InnerException, cancellation, depth + 1);
                    if (inner.Code != ToolFailure.DefaultCode) return inner;
                }
                return Unknown(ToolFailure.ConnectionError);
            }
            return Unknown(ToolFailure.DefaultCode);
        }

        private static ToolFailure OfWeb(WebException web, CancellationToken cancellation, int depth)
        {
            switch (web.Status)
            {
                case WebExceptionStatus.Timeout:
                    return Unknown(ToolFailure.Timeout);
                case WebExceptionStatus.ConnectFailure:
                case WebExceptionStatus.NameResolutionFailure:
                case WebExceptionStatus.ProxyNameResolutionFailure:
                    return NotExecuted(ToolFailure.ConnectionError);
                case WebExceptionStatus.ProtocolError:
                    var response = web.Response as HttpWebResponse;
                    if (response != null) return NotExecuted(((int)response.StatusCode).ToString());
                    break;
                case WebExceptionStatus.RequestCanceled:
                    return Unknown(cancellation.IsCancellationRequested ? ToolFailure.Cancelled : ToolFailure.Timeout);
            }
            if (web.InnerException != null)
            {
                ToolFailure inner = Known(web.InnerException, cancellation, depth + 1);
                if (inner.Code != ToolFailure.DefaultCode) return inner;
            }
            return Unknown(ToolFailure.ConnectionError);
        }

        private static ToolFailure OfSocket(SocketError code)
        {
            switch (code)
            {
                case SocketError.ConnectionRefused:
                case SocketError.HostNotFound:
                case SocketError.HostUnreachable:
                case SocketError.NetworkUnreachable:
                case SocketError.NetworkDown:
                case SocketError.TryAgain:
                case SocketError.NoData:
                case SocketError.AddressNotAvailable:
                    return NotExecuted(ToolFailure.ConnectionError);
                case SocketError.TimedOut:
                    return Unknown(ToolFailure.Timeout);
                default:
                    return Unknown(ToolFailure.ConnectionError);
            }
        }

        // An HTTP status exposed as a StatusCode property (HttpRequestException on
        // .NET 5 and later, many client libraries' exceptions).
        private static int? StatusOf(Exception e)
        {
            PropertyInfo p = e.GetType().GetProperty("StatusCode", BindingFlags.Public | BindingFlags.Instance);
            if (p == null || p.GetIndexParameters().Length != 0) return null;
            object value;
            try
            {
                value = p.GetValue(e, null);
            }
            catch (TargetInvocationException)
            {
                return null;
            }
            if (value is HttpStatusCode) return (int)(HttpStatusCode)value;
            if (value is int) return (int)value;
            return null;
        }

        // EnsureSuccessStatusCode's message on runtimes whose HttpRequestException has no
        // StatusCode property: "Response status code does not indicate success: 503 (...)".
        private static int? StatusInMessage(string message)
        {
            const string marker = "does not indicate success: ";
            int at = message == null ? -1 : message.IndexOf(marker, StringComparison.Ordinal);
            int status;
            if (at < 0 || message.Length < at + marker.Length + 3) return null;
            if (!int.TryParse(message.Substring(at + marker.Length, 3), out status)) return null;
            return status >= 400 && status <= 599 ? status : (int?)null;
        }

        private static ToolFailure Unknown(string code)
        {
            return new ToolFailure(code, SideEffectOutcome.Unknown);
        }

        private static ToolFailure NotExecuted(string code)
        {
            return new ToolFailure(code, SideEffectOutcome.NotExecuted);
        }
    }
}
