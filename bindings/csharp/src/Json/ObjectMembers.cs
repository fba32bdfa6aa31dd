using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Reflection;
using System.Text;

namespace AuraGuard
{
    /// <summary>
    /// What <see cref="JsonWriter"/> writes of an anonymous or plain object: its public
    /// readable instance properties, then its public instance fields, in declaration
    /// order, each as its key already written as JSON and a getter. Found by reflection
    /// once per type, not on every call: asking for a type's properties allocates and
    /// takes the runtime's locks, and reading one through PropertyInfo costs a
    /// reflection invoke, several times the work of the rest of a guarded call.
    /// </summary>
    internal sealed class ObjectMembers
    {
        /// <summary>Each member's name as a JSON string and a colon: <c>"name":</c>.</summary>
        internal readonly string[] Keys;

        internal readonly Func<object, object>[] Getters;

        private static readonly ConcurrentDictionary<Type, ObjectMembers> ByType =
            new ConcurrentDictionary<Type, ObjectMembers>();

        private static readonly Func<Type, ObjectMembers> Build = type => new ObjectMembers(type);

        private static readonly MethodInfo TypedGetterMethod =
            typeof(ObjectMembers).GetMethod("TypedGetter", BindingFlags.NonPublic | BindingFlags.Static);

        private ObjectMembers(Type type)
        {
            var keys = new List<string>();
            var getters = new List<Func<object, object>>();
            foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (!p.CanRead || p.GetIndexParameters().Length != 0) continue;
                keys.Add(Key(p.Name));
                getters.Add(Getter(type, p));
            }
            foreach (FieldInfo f in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                keys.Add(Key(f.Name));
                FieldInfo field = f;
                getters.Add(o => field.GetValue(o));
            }
            Keys = keys.ToArray();
            Getters = getters.ToArray();
        }

        internal static ObjectMembers Of(Type type)
        {
            return ByType.GetOrAdd(type, Build);
        }

        private static string Key(string name)
        {
            var sb = new StringBuilder();
            JsonWriter.WriteString(sb, name);
            return sb.Append(':').ToString();
        }

        // A property of a class is read through a delegate bound to its getter. Where
        // that cannot be made (a struct, whose getter needs the value by reference; a
        // pointer-typed property) it is read through PropertyInfo, as before.
        private static Func<object, object> Getter(Type type, PropertyInfo p)
        {
            MethodInfo get = p.GetGetMethod(true);
            if (!type.IsValueType && get != null)
            {
                try
                {
                    return (Func<object, object>)TypedGetterMethod.MakeGenericMethod(type, p.PropertyType)
                        .Invoke(null, new object[] { get });
                }
                catch (Exception)
                {
                    // The reflection read below works wherever a delegate does not.
                }
            }
            return o => p.GetValue(o, null);
        }

        private static Func<object, object> TypedGetter<T, TValue>(MethodInfo get) where T : class
        {
            var read = (Func<T, TValue>)Delegate.CreateDelegate(typeof(Func<T, TValue>), get);
            return o =>
            {
                try
                {
                    return read((T)o);
                }
                catch (Exception e)
                {
                    // What PropertyInfo.GetValue throws for a getter that throws.
                    throw new TargetInvocationException(e);
                }
            };
        }
    }
}
