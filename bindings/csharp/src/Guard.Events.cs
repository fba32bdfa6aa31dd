using System;

namespace AuraGuard
{
    public sealed partial class Guard
    {
        // The delegate handed to the library. Held in a field for the guard's whole
        // lifetime so the collector never frees the thunk native code calls.
        private readonly Native.EventFn _nativeCallback;
        private readonly object _eventLock = new object();
        private EventHandler<GuardEventArgs> _event;

        /// <summary>
        /// Raised for every intervention and cost event, synchronously on the thread
        /// whose call produced it. A handler may call this guard again. An exception
        /// thrown by a handler is caught and dropped (it never reaches native code)
        /// and does not keep the other handlers from running.
        /// </summary>
        /// <remarks>The native callback is registered only while there are handlers,
        /// so a guard nobody listens to pays nothing for events.</remarks>
        public event EventHandler<GuardEventArgs> Event
        {
            add
            {
                lock (_eventLock)
                {
                    bool first = _event == null;
                    _event += value;
                    if (first && _event != null) SetCallback(_nativeCallback);
                }
            }
            remove
            {
                lock (_eventLock)
                {
                    _event -= value;
                    if (_event == null && !_handle.IsClosed) SetCallback(null);
                }
            }
        }

        private void SetCallback(Native.EventFn fn)
        {
            ThrowIfDisposed();
            IntPtr error;
            Check(Native.auraguard_set_event_callback(_handle, fn, IntPtr.Zero, out error), error);
        }

        private void OnNativeEvent(IntPtr eventJson, IntPtr userData)
        {
            try
            {
                EventHandler<GuardEventArgs> handlers = _event;
                if (handlers == null) return;
                GuardEventArgs args = GuardEventArgs.Parse(FromUtf8(eventJson));
                foreach (EventHandler<GuardEventArgs> handler in handlers.GetInvocationList())
                {
                    try
                    {
                        handler(this, args);
                    }
                    catch (Exception)
                    {
                        // A host's bug must not unwind through the engine's frames.
                    }
                }
            }
            catch (Exception)
            {
                // Same: nothing may escape into native code.
            }
        }
    }
}
