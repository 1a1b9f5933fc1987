import {Type} from "apache-arrow";
import type {DataType, Decimal, Dictionary, Field, Float, Int} from "apache-arrow";
import {toPlainValue} from "./toPlainValue.js";
import {stringifyJson} from "../json/stringifyJson.js";

/**
 * Converts one Arrow value, as `Vector.get` returns it, to plain JSON-serializable JS:
 * Int64 → number (bigint past 2^53), Timestamp/Date → ISO 8601 string, Binary → base64,
 * Decimal → decimal string ("123.45"), List → array, Struct → object, Map → object with string keys,
 * Dictionary → its decoded value, NaN → null.
 */
export function arrowToPlain(value: unknown, type: DataType): unknown {
    if (value === null || value === undefined) return null;

    switch (type.typeId) {
        case Type.Dictionary:
            return arrowToPlain(value, (type as Dictionary).dictionary);

        case Type.Timestamp:
        case Type.Date:
            return temporalToIso(value);

        case Type.Decimal:
            return decimalToString(value, (type as Decimal).scale);

        case Type.List:
        case Type.LargeList:
        case Type.FixedSizeList: {
            const itemType = type.children[0]?.type;
            const list = value as {length: number; get(index: number): unknown};
            const items: unknown[] = [];
            for (let i = 0; i < list.length; i++) items.push(itemType == null ? toPlainValue(list.get(i)) : arrowToPlain(list.get(i), itemType));
            return items;
        }

        case Type.Struct: {
            const row = value as Record<string, unknown>;
            const out: Record<string, unknown> = {};
            for (const field of type.children as Field[]) out[field.name] = arrowToPlain(row[field.name], field.type);
            return out;
        }

        case Type.Map: {
            const entryFields = (type.children[0]?.type.children ?? []) as Field[];
            const keyType = entryFields[0]?.type;
            const valueType = entryFields[1]?.type;
            const out: Record<string, unknown> = {};
            for (const [key, item] of value as Iterable<[unknown, unknown]>) {
                const plainKey = keyType == null ? toPlainValue(key) : arrowToPlain(key, keyType);
                out[typeof plainKey === "string" ? plainKey : stringifyJson(plainKey)] = valueType == null ? toPlainValue(item) : arrowToPlain(item, valueType);
            }
            return out;
        }

        default:
            return toPlainValue(value);
    }
}

/** A readable type name for an Arrow type: "int64", "string", "list<string>", "struct<a: int32>", ... */
export function arrowTypeName(type: DataType): string {
    switch (type.typeId) {
        case Type.Null:
            return "null";
        case Type.Bool:
            return "bool";
        case Type.Int: {
            const int = type as Int;
            return `${int.isSigned ? "int" : "uint"}${int.bitWidth}`;
        }
        case Type.Float: {
            const precision = (type as Float).precision;
            return precision === 0 ? "float16" : precision === 1 ? "float32" : "float64";
        }
        case Type.Utf8:
        case Type.LargeUtf8:
        case Type.Utf8View:
            return "string";
        case Type.Binary:
        case Type.LargeBinary:
        case Type.BinaryView:
        case Type.FixedSizeBinary:
            return "binary";
        case Type.Decimal: {
            const decimal = type as Decimal;
            return `decimal(${decimal.precision},${decimal.scale})`;
        }
        case Type.Date:
            return "date";
        case Type.Timestamp:
            return "timestamp";
        case Type.Time:
            return "time";
        case Type.Duration:
            return "duration";
        case Type.Interval:
            return "interval";
        case Type.List:
        case Type.LargeList:
        case Type.FixedSizeList: {
            const item = type.children[0]?.type;
            return `list<${item == null ? "null" : arrowTypeName(item)}>`;
        }
        case Type.Struct:
            return `struct<${(type.children as Field[]).map((field) => `${field.name}: ${arrowTypeName(field.type)}`).join(", ")}>`;
        case Type.Map: {
            const [key, value] = (type.children[0]?.type.children ?? []) as Field[];
            return `map<${key == null ? "null" : arrowTypeName(key.type)}, ${value == null ? "null" : arrowTypeName(value.type)}>`;
        }
        case Type.Dictionary:
            return arrowTypeName((type as Dictionary).dictionary);
        case Type.Union:
            return "json";
        default:
            return String(type).toLowerCase();
    }
}

function temporalToIso(value: unknown): unknown {
    const ms = typeof value === "bigint" ? Number(value) : value;
    if (typeof ms === "number") {
        const date = new Date(ms);
        return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
    }
    return toPlainValue(value);
}

function decimalToString(value: unknown, scale: number): string {
    const digits = String(value);
    if (!/^-?\d+$/.test(digits) || scale <= 0) return digits;
    const negative = digits.startsWith("-");
    const abs = (negative ? digits.slice(1) : digits).padStart(scale + 1, "0");
    const text = `${abs.slice(0, abs.length - scale)}.${abs.slice(abs.length - scale)}`;
    return negative ? `-${text}` : text;
}
