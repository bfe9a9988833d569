/**
 * sObject types: fields, required fields, external ids and key prefixes.
 *
 * @internal
 */
import type { SObjectOptions } from "../Emulator.js"
import { customKeyPrefix, standardKeyPrefixes } from "./ids.js"

/** @internal */
export interface SObjectType {
  readonly name: string
  readonly keyPrefix: string
  /** Every field, lower-cased name to API name, in describe order. */
  readonly fields: ReadonlyMap<string, string>
  readonly writable: ReadonlySet<string>
  readonly required: ReadonlyArray<string>
  readonly externalIds: ReadonlySet<string>
  /** `Name` is computed from `FirstName` and `LastName`. */
  readonly computedName: boolean
  readonly hasOwner: boolean
}

/** System fields every type has, in order. @internal */
export const systemFields = [
  "Id",
  "IsDeleted",
  "CreatedDate",
  "CreatedById",
  "LastModifiedDate",
  "LastModifiedById",
  "SystemModstamp"
] as const

const standardTypes: Readonly<Record<string, SObjectOptions & { readonly owner?: boolean }>> = {
  Account: {
    fields: [
      "Name",
      "AccountNumber",
      "Type",
      "Industry",
      "Phone",
      "Website",
      "BillingStreet",
      "BillingCity",
      "BillingState",
      "BillingPostalCode",
      "BillingCountry",
      "NumberOfEmployees",
      "AnnualRevenue",
      "Description",
      "ParentId",
      "External_Id__c"
    ],
    required: ["Name"],
    externalIdFields: ["External_Id__c"],
    owner: true
  },
  Contact: {
    fields: [
      "FirstName",
      "LastName",
      "Email",
      "Phone",
      "Title",
      "AccountId",
      "MailingCity",
      "MailingCountry",
      "Description",
      "External_Id__c"
    ],
    required: ["LastName"],
    externalIdFields: ["External_Id__c"],
    owner: true
  },
  Lead: {
    fields: ["FirstName", "LastName", "Company", "Email", "Phone", "Status", "Description"],
    required: ["LastName", "Company"],
    owner: true
  },
  Opportunity: {
    fields: ["Name", "StageName", "CloseDate", "Amount", "Probability", "AccountId", "Description"],
    required: ["Name", "StageName", "CloseDate"],
    owner: true
  },
  Case: {
    fields: ["Subject", "Status", "Priority", "Origin", "Description", "AccountId", "ContactId"],
    owner: true
  },
  User: {
    fields: ["Username", "FirstName", "LastName", "Email", "Alias", "IsActive", "TimeZoneSidKey", "ProfileId"],
    required: ["Username", "LastName", "Email"]
  }
}

const computedNameTypes = new Set(["Contact", "Lead", "User"])

const build = (name: string, options: SObjectOptions, keyPrefix: string, hasOwner: boolean): SObjectType => {
  const computedName = computedNameTypes.has(name)
  const ordered: Array<string> = [...systemFields]
  if (hasOwner) ordered.push("OwnerId")
  if (computedName) ordered.push("Name")
  for (const field of options.fields) if (!ordered.includes(field)) ordered.push(field)
  const writable = new Set(options.fields)
  if (hasOwner) writable.add("OwnerId")
  if (computedName) writable.delete("Name")
  const fields = new Map(ordered.map((f) => [f.toLowerCase(), f] as const))
  for (const f of [...(options.required ?? []), ...(options.externalIdFields ?? [])]) {
    if (!writable.has(f)) throw new Error(`Emulator: sObject ${name} lists ${f} as required or external id but not in fields`)
  }
  return {
    name,
    keyPrefix,
    fields,
    writable,
    required: options.required ?? [],
    externalIds: new Set(options.externalIdFields ?? []),
    computedName,
    hasOwner
  }
}

/** The standard types plus (or overridden by) the configured ones. @internal */
export const buildTypes = (custom: Readonly<Record<string, SObjectOptions>>): Map<string, SObjectType> => {
  const types = new Map<string, SObjectType>()
  let nextCustom = 0
  const usedPrefixes = new Set<string>()
  const names = [...Object.keys(standardTypes), ...Object.keys(custom).filter((n) => !(n in standardTypes))]
  for (const name of names) {
    const options = custom[name] ?? standardTypes[name]!
    let keyPrefix = options.keyPrefix ?? standardKeyPrefixes[name]
    while (keyPrefix === undefined || usedPrefixes.has(keyPrefix)) {
      if (options.keyPrefix !== undefined && keyPrefix === options.keyPrefix) {
        throw new Error(`Emulator: key prefix ${keyPrefix} of ${name} is already used`)
      }
      keyPrefix = customKeyPrefix(nextCustom++)
    }
    if (!/^[a-zA-Z0-9]{3}$/.test(keyPrefix)) throw new Error(`Emulator: key prefix "${keyPrefix}" of ${name} is not 3 characters`)
    usedPrefixes.add(keyPrefix)
    const hasOwner = standardTypes[name]?.owner ?? name.endsWith("__c")
    types.set(name.toLowerCase(), build(name, options, keyPrefix, hasOwner))
  }
  return types
}

/** Salesforce's date-time format: `2013-05-20T20:49:32.000+0000`. @internal */
export const formatDateTime = (epochMs: number): string => new Date(epochMs).toISOString().replace("Z", "+0000")
