using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;

namespace AuraGuard
{
    public sealed partial class Guard
    {
        // The delegate handed to the library. Held in a field for the guard's whole
        // lifetime so the collector never frees the thunk native code calls.
        private readonly Native.EventFn _nativeCallback;
        private readonly object _eventLock = new object();
        private EventHandler<GuardEventArgs> _event;
        private bool _listening;

        // The events the library delivered during the native call this thread is
        // making. The callback only copies them here: handlers run once the native
        // call has returned, so nothing of the host's unwinds through native frames.
        [ThreadStatic] private static List<string> _delivered;

        /// <summary>
        /// Raised for every intervention and cost event, and for every outcome Run could
        /// not record ("record_failed"), on the thread whose call produced it, after that
        /// call's native part has returned. A handler may call this guard again, and may
        /// add or remove handlers. The first exception a handler throws is rethrown, as it
        /// is, from the guard method that raised the event once that method's work is done
        /// (Run: once the call is recorded); the other handlers and events still run.
        /// </summary>
        /// <remarks>The native callback is registered when the first handler is added and
        /// stays registered until the guard is disposed, so adding or removing a handler
        /// never waits on the library.</remarks>
        public event EventHandler<GuardEventArgs> Event
        {
            add
            {
                lock (_eventLock)
                {
                    ThrowIfDisposed();
                    if (!_listening)
                    {
                        IntPtr error;
                        Check(Native.auraguard_set_event_callback(_handle, _nativeCallback, IntPtr.Zero, out error), error);
                        _listening = true;
                    }
                    _event += value;
                }
            }
            remove
            {
                lock (_eventLock)
                {
                    _event -= value;
                }
            }
        }

        private void OnNativeEvent(IntPtr eventJson, IntPtr userData)
        {
            try
            {
                if (_event == null) return;
                (_delivered ?? (_delivered = new List<string>())).Add(FromUtf8(eventJson));
            }
            catch (Exception)
            {
                // Nothing may escape into native code; an event that cannot be copied is lost.
            }
        }

        // After a native call: raises the events it delivered, then rethrows the first
        // handler exception; for Run (faults given), keeps the events until the call
        // is recorded.
        private void DeliverEvents(HandlerFaults faults)
        {
            GC.KeepAlive(this); // the callback delegate lives as long as this object
            List<string> delivered = _delivered;
            if (delivered == null || delivered.Count == 0) return;
            string[] events = delivered.ToArray();
            delivered.Clear();
            if (faults != null)
            {
                // Run raises them once the call is recorded.
                faults.Pending.AddRange(events);
                return;
            }
            var own = new HandlerFaults();
            RaiseEvents(events, own);
            own.Rethrow();
        }

        private void RaiseEvents(string[] events, HandlerFaults faults)
        {
            EventHandler<GuardEventArgs> handlers = _event;
            if (handlers == null) return;
            foreach (string json in events)
            {
                GuardEventArgs args = GuardEventArgs.Parse(json);
                foreach (EventHandler<GuardEventArgs> handler in handlers.GetInvocationList())
                {
                    try
                    {
                        handler(this, args);
                    }
                    catch (Exception ex)
                    {
                        faults.Keep(ex);
                    }
                }
            }
        }

        /// <summary>The first exception of the event handlers during one guard method,
        /// and, for Run, the events held until the call is recorded.</summary>
        private sealed class HandlerFaults
        {
            private ExceptionDispatchInfo _first;
            public readonly List<string> Pending = new List<string>();

            public void Keep(Exception ex)
            {
                if (_first == null) _first = ExceptionDispatchInfo.Capture(ex);
            }

            public void Rethrow()
            {
                ExceptionDispatchInfo first = _first;
                _first = null;
                if (first != null) first.Throw();
            }
        }
    }
}
